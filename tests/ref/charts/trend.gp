# graft plot --kind trend, from trend.csv
# Redraw with: gnuplot PATH/trend.gp (from any folder: the chart
# and its data are beside this script).  Every text is drawn noenhanced, as it
# is: strings in single quotes (a quote in them as "\047"), tic labels read
# from the data file.
set terminal pdfcairo size 10.4167in,7.1562in font 'sans-serif,14' noenhanced fontscale 0.75
graft_dir(s) = (graft_i = strstrt(s, '/'), graft_i == 0 ? '' : s[1:graft_i] . graft_dir(s[graft_i + 1:]))
here = exists('ARG0') ? graft_dir(ARG0) : ''
set output here . 'trend.pdf'
datafile = here . 'trend.dat'
set encoding utf8
set lmargin at screen 0.0812
set rmargin at screen 0.7769
set tmargin at screen 0.8620
set bmargin at screen 0.2096
# title and subtitle
set label 'any5, by region' at screen 0.0187, screen 0.9553 left font 'sans-serif:Bold,18.2' textcolor rgb '#000000' front
# footnotes and source
set label 'Not drawn, too unreliable (suppressed): every round of South West; South East in Round 7.' at screen 0.0187, screen 0.1022 left font 'sans-serif,11.9' textcolor rgb '#555555' front
set label 'Open markers: estimate unreliable: df < 8.' at screen 0.0187, screen 0.0722 left font 'sans-serif,11.9' textcolor rgb '#555555' front
set label 'Source: trend.csv. Whiskers: 95 % confidence intervals, design-based.' at screen 0.0187, screen 0.0340 left font 'sans-serif,11.9' textcolor rgb '#555555' front
set label 'Percent; whiskers: 95 % confidence intervals' at screen 0.0812, screen 0.8849 left font 'sans-serif,14' textcolor rgb '#555555' front
set border 3 lc rgb '#555555'
set grid ytics lt 1 lc rgb '#e5e5e5'
set xrange [2017.3000:2022.7000]
set yrange [0.0000:50.0000]
set ytics nomirror out scale 0.5 format '%g %%' tc rgb '#222222'
set xtics nomirror out scale 0.5 tc rgb '#222222'
set key at screen 0.7993, screen 0.8620 left top Left reverse samplen 2.5 spacing 1.3 width 1 tc rgb '#222222'
set bars 0.6
# the rounds (tic labels read from the data), whiskers, lines (titles are
# quoted strings), open markers
plot datafile index 3 using 1:(0.0000):xtic(2) with points pt -1 notitle, \
     datafile index 0 using ($1 -0.3000):2:3:4 with yerrorbars pt -1 lw 1.2 lc rgb '#000000' notitle, \
     datafile index 1 using ($1 +0.0000):2:3:4 with yerrorbars pt -1 lw 1.2 lc rgb '#0072B2' notitle, \
     datafile index 2 using ($1 +0.3000):2:3:4 with yerrorbars pt -1 lw 1.2 lc rgb '#E69F00' notitle, \
     keyentry with linespoints lw 3 dt 1 pt 7 ps 1.3 lc rgb '#000000' title 'All', \
     datafile index 1 using ($1 +0.0000):2 with linespoints lw 2 dt 1 pt 7 ps 1.3 lc rgb '#0072B2' title 'Great Tunis', \
     datafile index 2 using ($1 +0.3000):2 with linespoints lw 2 dt 1 pt 5 ps 1.3 lc rgb '#E69F00' title 'South East', \
     datafile index 0 using ($1 -0.3000):2 with linespoints lw 3 dt 1 pt 7 ps 1.3 lc rgb '#000000' notitle, \
     datafile index 2 using ($1 +0.3000):($5 == 1 ? $2 : NaN) with points pt 5 ps 1.1 lc rgb '#ffffff' notitle, \
     datafile index 2 using ($1 +0.3000):($5 == 1 ? $2 : NaN) with points pt 4 ps 1.3 lw 2 lc rgb '#E69F00' notitle
unset output
